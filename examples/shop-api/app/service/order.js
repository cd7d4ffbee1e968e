'use strict';

const { Service } = require('egg');

const orders = new Map();
let nextId = 1;

class OrderService extends Service {
  async listFor(user) {
    return [ ...orders.values() ].filter(o => user && o.user === user.name);
  }

  async find(id) {
    return orders.get(id) || null;
  }

  async create(user, { productId, quantity }) {
    const product = await this.ctx.service.product.find(productId);
    if (!product) this.ctx.throw(422, 'unknown product');
    const order = { id: String(nextId++), user: user && user.name, productId, quantity, total: product.price * quantity };
    orders.set(order.id, order);
    return order;
  }

  async cancel(id) {
    orders.delete(id);
  }
}

module.exports = OrderService;
