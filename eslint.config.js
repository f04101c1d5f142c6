import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: '@kubernetes/client-node', message: 'Only src/kube/ may import the Kubernetes client.' },
          ],
        },
      ],
    },
  },
  { files: ['src/kube/**'], rules: { 'no-restricted-imports': 'off' } },
  { files: ['src/scheduler/**'], rules: { 'no-restricted-imports': 'off' } },
  {
    // An ESM import of node:http loads Node's bundled undici and http2 (13 MB of RSS): see src/http/node-http.ts.
    files: ['src/**', 'analysis/**'],
    ignores: ['src/http/node-http.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'node:http',
              allowTypeImports: true,
              message:
                'Import request and createServer from src/http/node-http.ts; types may come from node:http.',
            },
            { name: 'http', allowTypeImports: true, message: 'Use src/http/node-http.ts.' },
          ],
        },
      ],
    },
  },
);
