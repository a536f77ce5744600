import { decodeBody } from './decode-body';
import { safeDetail } from './detail';
import { exceedsNestingDepth, findDuplicateKey } from './json-text';
import { detailForIssue, reasonForIssue } from './issue-reason';
import { DEFAULT_VALIDATION_LIMITS, type ValidationLimits } from './limits';
import { invalidSubmission, type InvalidSubmission } from './reasons';
import { submissionSchemaFor, type Submission } from './submission';
import { DEFAULT_UNKNOWN_FIELD_POLICY, splitUnknownFields, type UnknownFieldPolicy } from './unknown-fields';

/** `unknownFields`: paths of the fields dropped under the `accept` policy (empty when there were none). */
export type Validation = { valid: true; submission: Submission; unknownFields: string[] } | InvalidSubmission;

// The whole of docs/contract.md#input, cheapest checks first so hostile input costs as little as possible. Never throws: every
// failure is a reason code, because one bad message must not fail the activity that holds its neighbours (G4).
export function validateSubmission(
  body: string,
  limits: ValidationLimits = DEFAULT_VALIDATION_LIMITS,
  unknownFields: UnknownFieldPolicy = DEFAULT_UNKNOWN_FIELD_POLICY,
): Validation {
  // The type says string, but a body may come from untyped JSON (a replayed history, a quarantine tool); a bad
  // call must still be a validation (valid or one reason), never an exception.
  if (typeof body !== 'string') return invalidSubmission('undecodable_body', 'body is not a string');

  // Bytes, not characters: that is what SQS bills and limits, and a string of 4-byte characters is 4x its length.
  const bodyBytes = Buffer.byteLength(body, 'utf8');
  if (bodyBytes > limits.maxBodyBytes) {
    return invalidSubmission('body_too_large', `body is ${bodyBytes} bytes, over the limit of ${limits.maxBodyBytes}`);
  }

  const decoded = decodeBody(body);
  if (!decoded.ok) return invalidSubmission(decoded.reason, decoded.detail);

  if (exceedsNestingDepth(decoded.text, limits.maxNestingDepth)) {
    return invalidSubmission('too_deeply_nested', `JSON nests deeper than ${limits.maxNestingDepth} levels`);
  }

  let json: unknown;
  try {
    // JSON.parse turns "__proto__" into an ordinary own property (it never invokes the prototype setter), so the
    // strict schema below sees it as the unknown key it is.
    json = JSON.parse(decoded.text);
  } catch (error) {
    return invalidSubmission('invalid_json', safeDetail(error instanceof Error ? error.message : 'not valid JSON'));
  }
  const duplicate = findDuplicateKey(decoded.text);
  if (duplicate !== undefined) {
    return invalidSubmission('invalid_json', safeDetail(`duplicate key ${JSON.stringify(duplicate)} in one object`));
  }

  // Under `accept`, unknown fields are taken out before the strict schema runs: never forwarded, only counted.
  const split = unknownFields === 'accept' ? splitUnknownFields(json) : { known: json, unknownPaths: [] };
  const parsed = submissionSchemaFor(limits).safeParse(split.known, { reportInput: true });
  if (!parsed.success) {
    // zod reports issues in schema order; the first one names the reason, as one submission gets one reason.
    const [first] = parsed.error.issues;
    if (!first) return invalidSubmission('wrong_type', 'rejected by the schema without an issue');
    return invalidSubmission(reasonForIssue(first), detailForIssue(first));
  }
  return { valid: true, submission: parsed.data, unknownFields: split.unknownPaths };
}
