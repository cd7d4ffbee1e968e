'use strict';

exports.validate = {
  enable: true, // expect: plugin-without-justification
  package: 'egg-validate',
};

exports.cors = {
  enable: true, // expect: plugin-without-justification
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
