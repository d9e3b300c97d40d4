// Audio: per (run, tag) a card with a step slider and, for the chosen step, one player per clip
// (the WAV bytes come from the event file when the player asks for them).
import { getJson, resourceUrl } from '../api.js';
import { el } from '../dom.js';
import { createRunTagView } from './runTagView.js';

export const fetchAudio = (run, tag) => getJson('api/audio', { run, tag });

export function createAudioView(ctx) {
  return createRunTagView(ctx, {
    kind: 'audio',
    className: 'audio',
    fetch: fetchAudio,
    render: renderAudio,
  });
}

function buildControls(card) {
  const c = {};
  c.step = el('input', { type: 'range', class: 'step-slider', min: 0, step: 1, value: 0, 'aria-label': 'step' });
  c.stepLabel = el('span', { class: 'step-label' });
  c.clips = el('div', { class: 'audio-clips' });
  c.step.addEventListener('input', () => {
    card.position = Number(c.step.value);
    card.followLatest = card.position === Number(c.step.max);
    card.redraw();
  });
  card.body.replaceChildren(el('div', { class: 'image-controls' }, 'step ', c.step, c.stepLabel), c.clips);
  return c;
}

function describe(clip) {
  const parts = [];
  if (clip.duration != null) parts.push(`${clip.duration.toFixed(2)} s`);
  if (clip.sample_rate) parts.push(`${clip.sample_rate} Hz`);
  if (clip.num_channels) parts.push(clip.num_channels === 1 ? 'mono' : `${clip.num_channels} channels`);
  parts.push(clip.content_type);
  return parts.join(' · ');
}

function renderAudio(card, data) {
  const clips = data.clips;
  if (!clips.length) {
    card.body.replaceChildren(el('p', { class: 'empty', text: 'No audio.' }));
    return;
  }
  card.controls ??= buildControls(card);
  card.followLatest ??= true;
  const c = card.controls;
  const steps = [...new Set(clips.map((a) => a.step))].sort((a, b) => a - b);
  c.step.max = steps.length - 1;
  if (card.followLatest || card.position == null || card.position >= steps.length) card.position = steps.length - 1;
  c.step.value = card.position;
  const step = steps[card.position];
  c.stepLabel.textContent = `${step} (${card.position + 1}/${steps.length})`;
  card.root.dataset.step = String(step);
  const shown = clips.filter((a) => a.step === step).sort((a, b) => a.index - b.index);
  const key = shown.map((a) => a.url).join('\n');
  if (c.key === key) return; // the same clips: keep the players (and where they are playing)
  c.key = key;
  c.clips.replaceChildren(...shown.map((clip) => el('div', { class: 'audio-clip', dataset: { index: clip.index } },
    el('audio', { controls: true, preload: 'metadata', src: resourceUrl(clip.url), 'aria-label': `${card.tag} at step ${step}, clip ${clip.index + 1}` }),
    clip.label ? el('div', { class: 'audio-label', text: clip.label }) : null,
    el('div', { class: 'image-info', text: `clip ${clip.index + 1} of ${shown.length} · ${describe(clip)}` }),
  )));
}
