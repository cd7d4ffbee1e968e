'use strict';

const { Controller } = require('egg');

const createRule = {
  productId: 'string',
  quantity: { type: 'int', min: 1 },
};

class OrderController extends Controller {
  async index() {
    const { ctx } = this;
    ctx.body = await ctx.service.order.listFor(ctx.session.user);
  }

  async show() {
    const { ctx } = this;
    ctx.body = await ctx.service.order.find(ctx.params.id);
  }

  async create() {
    const { ctx } = this;
    ctx.validate(createRule);
    ctx.body = await ctx.service.order.create(ctx.session.user, ctx.request.body);
    ctx.status = 201;
  }

  async destroy() {
    const { ctx } = this;
    await ctx.service.order.cancel(ctx.params.id);
    ctx.status = 204;
  }
}

module.exports = OrderController;
