// Integration tests talk to real servers (Prometheus, kube-apiserver): allow them a minute each.
import { jest } from '@jest/globals';

jest.setTimeout(60_000);
