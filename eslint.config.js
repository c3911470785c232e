// Layering rules (STYLE.md "Who may import what"): encoder -> nothing; main -> encoder;
// renderer -> only types of main. Enforced per folder the way VS Code enforces its layers.
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['node:*', 'fs', 'fs/*', 'path', 'os', 'child_process', 'worker_threads', 'stream', 'stream/*', 'util', 'crypto', 'net', 'dgram', 'events', 'buffer', 'process', 'url', 'http', 'https', 'zlib', 'readline', 'tty'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bench-report/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['encoder/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['../../*', '../main/*', '../renderer/*', '**/main/**', '**/renderer/**'], message: 'encoder/ imports nothing outside itself.' },
          { group: nodeBuiltins, message: 'encoder/ uses no Node API: it runs unchanged in a browser worker.' },
          { group: ['electron', 'vue', 'pinia'], message: 'encoder/ uses no Electron or UI API.' },
        ],
      }],
      'no-restricted-globals': ['error',
        { name: 'process', message: 'encoder/ uses no Node API.' },
        { name: 'Buffer', message: 'encoder/ uses no Node API: use Uint8Array.' },
        { name: 'require', message: 'encoder/ is ESM and self-contained.' },
      ],
      'no-restricted-properties': ['error',
        { object: 'Math', property: 'random', message: 'The encoder is deterministic (STYLE.md).' },
        { object: 'Date', property: 'now', message: 'The encoder is deterministic (STYLE.md).' },
      ],
    },
  },
  {
    files: ['main/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['**/renderer/**'], message: 'main/ does not import the renderer.' }],
      }],
    },
  },
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
