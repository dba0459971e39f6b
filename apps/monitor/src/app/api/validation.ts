import { BadRequestException } from '@nestjs/common';
import type { z } from 'zod';

/** Parses untrusted input; a 400 names every bad parameter and what was expected. */
export function parseOr400<S extends z.ZodType>(schema: S, input: unknown, where: 'query' | 'body'): z.infer<S> {
  const r = schema.safeParse(input ?? {});
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => ({ parameter: i.path.join('.') || where, problem: i.message }));
  throw new BadRequestException({
    statusCode: 400,
    error: 'Bad Request',
    message: `invalid ${where}: ${problems.map((p) => `${p.parameter}: ${p.problem}`).join('; ')}`,
    problems,
  });
}

/** A 400 for one parameter that passed its schema but not a cross-field check. */
export function badRequest(parameter: string, problem: string): never {
  throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: `invalid body: ${parameter}: ${problem}`, problems: [{ parameter, problem }] });
}
