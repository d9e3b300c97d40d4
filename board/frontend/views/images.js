// Images: per (run, tag) a card with a step slider, a sample selector for steps holding several
// images, an actual-size toggle, and brightness / contrast adjustments (CSS filters).
import { fetchImages, resourceUrl } from '../api.js';
import { el } from '../dom.js';
import { createRunTagView } from './runTagView.js';

export function createImagesView(ctx) {
  return createRunTagView(ctx, {
    kind: 'images',
    className: 'images',
    fetch: fetchImages,
    render: renderImages,
  });
}

function buildControls(card) {
  const c = {};
  c.step = el('input', { type: 'range', class: 'step-slider', min: 0, step: 1, value: 0, 'aria-label': 'step' });
  c.stepLabel = el('span', { class: 'step-label' });
  c.sample = el('select', { class: 'sample', 'aria-label': 'sample' });
  c.actual = el('input', { type: 'checkbox', class: 'actual-size' });
  c.brightness = el('input', { type: 'range', class: 'brightness', min: 0, max: 3, step: 0.05, value: 1, 'aria-label': 'brightness' });
  c.contrast = el('input', { type: 'range', class: 'contrast', min: 0, max: 3, step: 0.05, value: 1, 'aria-label': 'contrast' });
  c.reset = el('button', { text: 'reset', class: 'reset' });
  c.img = el('img', { alt: '', decoding: 'async' });
  c.frame = el('div', { class: 'image-frame' }, c.img);
  c.info = el('div', { class: 'image-info' });
  const applyFilter = () => {
    c.img.style.filter = `brightness(${c.brightness.value}) contrast(${c.contrast.value})`;
  };
  c.step.addEventListener('input', () => {
    card.position = Number(c.step.value);
    card.followLatest = card.position === Number(c.step.max);
    card.redraw();
  });
  c.sample.addEventListener('change', () => {
    card.sample = Number(c.sample.value);
    card.redraw();
  });
  c.actual.addEventListener('change', () => c.frame.classList.toggle('actual', c.actual.checked));
  c.brightness.addEventListener('input', applyFilter);
  c.contrast.addEventListener('input', applyFilter);
  c.reset.addEventListener('click', () => {
    c.brightness.value = 1;
    c.contrast.value = 1;
    applyFilter();
  });
  card.body.append(
    el('div', { class: 'image-controls' }, 'step ', c.step, c.stepLabel, 'sample ', c.sample),
    el('div', { class: 'image-controls' },
      el('label', {}, c.actual, ' actual size'),
      el('label', {}, 'brightness ', c.brightness),
      el('label', {}, 'contrast ', c.contrast),
      c.reset),
    c.frame,
    c.info,
  );
  return c;
}

function renderImages(card, data) {
  const images = data.images;
  if (!images.length) {
    card.body.replaceChildren(el('p', { class: 'empty', text: 'No images.' }));
    return;
  }
  card.controls ??= buildControls(card);
  card.followLatest ??= true;
  const c = card.controls;
  const steps = [...new Set(images.map((im) => im.step))].sort((a, b) => a - b);
  c.step.max = steps.length - 1;
  if (card.followLatest || card.position == null || card.position >= steps.length) card.position = steps.length - 1;
  c.step.value = card.position;
  const step = steps[card.position];
  c.stepLabel.textContent = `${step} (${card.position + 1}/${steps.length})`;
  const samples = images.filter((im) => im.step === step).sort((a, b) => a.index - b.index);
  c.sample.replaceChildren(...samples.map((im) => el('option', { value: im.index, text: String(im.index) })));
  c.sample.disabled = samples.length < 2;
  const shown = samples.find((im) => im.index === card.sample) ?? samples[0];
  c.sample.value = shown.index;
  const src = resourceUrl(shown.url);
  if (c.img.getAttribute('src') !== src) c.img.setAttribute('src', src);
  c.img.alt = `${card.tag} at step ${step}`;
  card.root.dataset.step = String(step);
  c.info.textContent = `${shown.width}×${shown.height}, step ${step}, image ${shown.index + 1} of ${samples.length}`;
}
