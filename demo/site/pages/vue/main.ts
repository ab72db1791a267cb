/** The Vue 3 demo page: the element from the widget source, used inside a Vue app. */
import { createApp } from 'vue';
import App from './App.vue';
import '../../public/demo.css';
import '../pages.css';

createApp(App).mount('#app');
