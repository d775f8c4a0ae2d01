import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

// The console is served at / by the local host (and by an Azure Static Web App); /api goes to the functions.
export default defineConfig({
  plugins: [vue()],
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
  },
  server: {
    proxy: { '/api': 'http://localhost:7071', '/admin': 'http://localhost:7071' },
  },
});
