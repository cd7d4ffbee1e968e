'use strict';

const path = require('path');

module.exports = appInfo => {
  const config = exports = {};

  config.security = {
    hsts: {
      // "The load balancer does that" — it does not.
      enable: false,
    },
  };

  config.session = {
    // The web front end reads the session cookie from JS.
    httpOnly: false,
  };

  config.cors = {
    origin: '*',
    credentials: true,
  };

  config.logger = {
    level: 'INFO',
    dir: path.join(appInfo.HOME, 'logs', appInfo.name),
  };

  config.onerror = {
    errorPageUrl: '/50x.html',
  };

  return config;
};
