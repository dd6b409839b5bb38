// Preloaded (`node --import`) into a process under test that must not reach beyond this machine:
// any TCP connection to an address other than loopback throws before a packet is sent, and is
// reported on stderr as `loopback-only: blocked HOST`. A test that proves Hearth refuses such an
// address never sends traffic off the machine, even when the code under test is wrong.
import net from 'node:net';

const connect = net.Socket.prototype.connect;
const loopback = (host) => host === undefined || host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);

net.Socket.prototype.connect = function (...args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  const host = typeof first === 'object' && first !== null ? (first.path ? undefined : first.host) : typeof args[1] === 'string' ? args[1] : undefined;
  if (!loopback(host)) {
    process.stderr.write(`loopback-only: blocked ${host}\n`);
    throw new Error(`loopback-only: blocked a connection to ${host}`);
  }
  return connect.apply(this, args);
};
