import { Injectable } from '@nestjs/common';

/** Whether the schema is migrated on the current primary (readiness fails until it is). */
@Injectable()
export class SchemaState {
  ready = false;
  lastError: string | undefined;
}
