'use strict';

exports.validate = {
  enable: true,
  package: 'egg-validate',
};

exports.cors = {
  enable: true,
  package: 'egg-cors',
};

// Kept from the first prototype; the shop now uses the in-memory catalogue service.
exports.mysql = {
  enable: false,
  package: 'egg-mysql',
};

exports.redis = {
  enable: false,
  package: 'egg-redis',
};
