'use strict';

// The shop's own tests (egg-mock). eggsec's plugins-usage test runs them on a staged copy before
// and after `eggsec fix --plugins --write`: both runs must pass.

const { strict: assert } = require('node:assert');
const { app } = require('egg-mock/bootstrap');

/** `name=value` pairs of a response's set-cookie headers, for the next request. */
function cookiesOf(res) {
  return (res.headers['set-cookie'] || []).map(c => c.split(';')[0]).join('; ');
}

async function login() {
  const res = await app.httpRequest()
    .post('/api/login')
    .send({ username: 'ada', password: 'demo' })
    .expect(200);
  assert.deepEqual(res.body, { ok: true });
  return cookiesOf(res);
}

describe('test/app/controller/shop.test.js', () => {
  it('GET /health reports the package version', async () => {
    const res = await app.httpRequest().get('/health').expect(200);
    assert.deepEqual(res.body, { status: 'ok', version: '1.4.2' });
  });

  it('GET /api/products lists and searches the catalogue', async () => {
    const all = await app.httpRequest()
      .get('/api/products')
      .set('authorization', 'token')
      .expect(200);
    assert.equal(all.body.length, 3);
    const found = await app.httpRequest()
      .get('/api/products?q=kettle')
      .set('authorization', 'token')
      .expect(200);
    assert.deepEqual(found.body, [ { id: '2', name: 'Pour-over kettle', price: 4500 } ]);
  });

  it('GET /api/products/:id is a 404 for an unknown product', async () => {
    const res = await app.httpRequest()
      .get('/api/products/9')
      .set('authorization', 'token')
      .expect(404);
    assert.equal(res.body.error, 'product not found');
  });

  it('the API needs a login', async () => {
    const res = await app.httpRequest().get('/api/orders').expect(401);
    assert.deepEqual(res.body, { error: 'login required' });
  });

  it('POST /api/login refuses a wrong password and validates its input', async () => {
    await app.httpRequest()
      .post('/api/login')
      .send({ username: 'ada', password: 'nope' })
      .expect(401);
    await app.httpRequest()
      .post('/api/login')
      .send({ username: 'ada' })
      .expect(422);
  });

  it('a logged-in user orders and lists their orders', async () => {
    const cookie = await login();
    const created = await app.httpRequest()
      .post('/api/orders')
      .set('cookie', cookie)
      .send({ productId: '1', quantity: 2 })
      .expect(201);
    assert.equal(created.body.total, 1800);
    assert.equal(created.body.user, 'ada');
    const list = await app.httpRequest().get('/api/orders').set('cookie', cookie).expect(200);
    assert(list.body.some(o => o.id === created.body.id));
  });
});
