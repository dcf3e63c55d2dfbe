import './styles/global.css';
import { mount } from 'svelte';
import App from './App.svelte';
import { pickClient } from './lib/api/pick-client';
import { setClient } from './state/client';
import { errors } from './state/errors.svelte';

// Nothing fails silently: stray errors reach the same banner as failed calls.
window.addEventListener('error', (e) => errors.report(e.error ?? e.message, 'Unexpected error'));
window.addEventListener('unhandledrejection', (e) => errors.report(e.reason, 'Unexpected error'));

setClient(pickClient(window, (err) => errors.report(err, 'Live updates')));

const target = document.getElementById('app');
if (!target) throw new Error('main: expected an element #app in index.html, got none');
mount(App, { target });
