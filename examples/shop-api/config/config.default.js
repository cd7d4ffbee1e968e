'use strict';

module.exports = appInfo => {
  const config = exports = {};

  // use for cookie sign key, should change to your own and keep security
  config.keys = appInfo.name + '_1712345678901_8312'; // expect: keys-weak

  config.middleware = [ 'errorHandler', 'auth' ];

  config.errorHandler = {
    match: '/api',
  };

  config.auth = {
    ignore: [ '/api/login', '/health' ],
    tokenHeader: 'authorization',
  };

  config.security = {
    csrf: {
      // The mobile app posts JSON and "CSRF does not apply to JSON" — it does.
      ignoreJSON: true, // expect: csrf-ignore-json
    },
    domainWhiteList: [ '.shop.example.com' ],
  };

  config.bodyParser = {
    jsonLimit: '10mb',
    formLimit: '1mb',
  };

  config.multipart = {
    fileSize: '20mb',
    fileExtensions: [ '.webp', '.heic' ],
  };

  config.session = {
    key: 'SHOP_SESS',
    maxAge: 30 * 24 * 3600 * 1000,
  };

  config.jwt = { // expect: config-for-disabled-plugin
    secret: 'shop-api-jwt-secret-change-me', // expect: secret-hard-coded-in-config
    expiresIn: '30d',
  };

  config.payment = {
    provider: 'stripe',
    apiToken: 'sk_live_51MzShopApiExample9fQxT2bLkWq', // expect: secret-hard-coded-in-config, dump-ignore-misses-secret-keys
    webhookPath: '/api/payments/webhook',
  };

  config.mysql = { // expect: config-for-disabled-plugin
    client: {
      host: process.env.MYSQL_HOST || '127.0.0.1',
      port: 3306,
      user: 'shop',
      password: process.env.MYSQL_PASSWORD || 'shop123', // expect: secret-hard-coded-in-config
      database: 'shop',
    },
  };

  config.redis = { // expect: config-for-disabled-plugin
    client: {
      host: process.env.REDIS_HOST || '127.0.0.1',
      port: 6379,
      password: '',
      db: 0,
    },
  };

  config.validate = {
    convert: true,
  };

  return config;
};
