// Every kind served from the tenant's store through the admission-kinds strategy: admission
// configuration, flow control, CSRs and API services (kinds.ts), classes and storage
// descriptions (class-kinds.ts).
import { CLASS_KINDS } from './class-kinds.js';
import { ADMISSION_KINDS, type AdmissionKind } from './kinds.js';

export const VIRTUAL_KINDS: readonly AdmissionKind[] = [...ADMISSION_KINDS, ...CLASS_KINDS];
