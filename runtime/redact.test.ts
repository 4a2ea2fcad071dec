import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactUrl } from './redact.ts';

test('redactUrl hides the password and password parameters, and keeps the rest', () => {
  assert.equal(
    redactUrl('postgres://app:s3cr%40t@db.example:5432/locks?sslmode=require'),
    'postgres://app:*****@db.example:5432/locks?sslmode=require',
  );
  assert.equal(redactUrl('postgres://db.example/locks'), 'postgres://db.example/locks');
  assert.equal(
    redactUrl('postgres://app@db.example/locks?password=hunter2&sslpassword=x'),
    'postgres://app@db.example/locks?password=*****&sslpassword=*****',
  );
  // Not a URL at all: the usual shapes are still hidden.
  assert.equal(redactUrl('postgres://app:p w@[bad/x'), 'postgres://app:*****@[bad/x');
  assert.equal(redactUrl('host=db password=hunter2 user=app'), 'host=db password=***** user=app');
});
