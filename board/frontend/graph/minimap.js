// A small overview of the whole drawing with the visible window; click or drag to move there.
import { svg } from './svg.js';

const SIZE = 180;

export function createMinimap(onJump) {
  const element = svg('svg', { class: 'graph-minimap', width: SIZE, height: SIZE });
  const content = svg('g');
  const windowRect = svg('rect', { class: 'g-window' });
  element.append(content, windowRect);
  let scale = 1;
  let dragging = false;

  function jump(event) {
    const box = element.getBoundingClientRect();
    onJump((event.clientX - box.left) / scale, (event.clientY - box.top) / scale);
  }
  element.addEventListener('pointerdown', (event) => {
    dragging = true;
    element.setPointerCapture(event.pointerId);
    jump(event);
    event.stopPropagation();
  });
  element.addEventListener('pointermove', (event) => dragging && jump(event));
  element.addEventListener('pointerup', () => { dragging = false; });

  return {
    element,
    setScene(scene) {
      scale = SIZE / Math.max(scene.width, scene.height, 1);
      element.setAttribute('width', Math.max(20, scene.width * scale));
      element.setAttribute('height', Math.max(20, scene.height * scale));
      const g = svg('g', { transform: `scale(${scale})` });
      for (const node of scene.nodes) {
        g.append(svg('rect', {
          class: node.expanded ? 'g-mframe' : 'g-mnode', x: node.x, y: node.y, width: node.w, height: node.h,
        }));
      }
      content.replaceChildren(g);
    },
    setWindow(x, y, width, height) {
      windowRect.setAttribute('x', x * scale);
      windowRect.setAttribute('y', y * scale);
      windowRect.setAttribute('width', Math.max(2, width * scale));
      windowRect.setAttribute('height', Math.max(2, height * scale));
    },
    show(visible) {
      element.style.display = visible ? '' : 'none';
    },
  };
}
