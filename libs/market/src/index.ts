export * from './lib/checksum';
export * from './lib/decimal';
export * from './lib/instrument';
export * from './lib/order-book';
export * from './lib/decimal-book';
