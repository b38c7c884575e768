'use strict';
// The failure converter of every orderflow client, worker and workflow bundle: a failure's
// message and stack trace travel as an encoded payload (`encodedAttributes`), which the
// payload codec seals like any other, so Temporal's history shows "Encoded failure" and
// nothing a failure quoted. Plain CommonJS: the SDK require()s it by path in workers and
// clients (under tsx, vitest or plain node alike) and webpack bundles it into workflows.
const { DefaultFailureConverter } = require('@temporalio/common'); // eslint-disable-line @typescript-eslint/no-require-imports

exports.failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
