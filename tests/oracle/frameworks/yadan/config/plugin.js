'use strict';

// yadan ships with cors on and view off.
exports.cors = {
  enable: true,
  package: 'egg-cors',
};

exports.view = false;
