// The panel's only script (the CSP allows no inline script): toasts, modals,
// dropdowns, confirmations, copy buttons and the app switcher. Every form
// works without it; it only adds comfort and the confirmation dialogs.
/* global document, window */

const TOAST_MS = { success: 5000, error: 9000 };

function dismissToast(toast) {
  toast.classList.add('toast-leaving');
  setTimeout(() => toast.remove(), 200);
}

function initToasts() {
  for (const toast of document.querySelectorAll('[data-toast]')) {
    const type = toast.getAttribute('data-toast-type') === 'error' ? 'error' : 'success';
    let timer = setTimeout(() => dismissToast(toast), TOAST_MS[type]);
    toast.addEventListener('mouseenter', () => clearTimeout(timer));
    toast.addEventListener('mouseleave', () => {
      timer = setTimeout(() => dismissToast(toast), TOAST_MS[type]);
    });
    toast.querySelector('[data-toast-close]')?.addEventListener('click', () => dismissToast(toast));
    toast.classList.add('toast-visible');
  }
}

function initModals() {
  for (const opener of document.querySelectorAll('[data-open-modal]')) {
    opener.addEventListener('click', () => {
      const dialog = document.getElementById(opener.getAttribute('data-open-modal'));
      if (dialog && !dialog.open) {
        dialog.showModal();
        dialog.querySelector('input:not([type=hidden])')?.focus();
      }
    });
  }
  for (const dialog of document.querySelectorAll('dialog.modal')) {
    for (const closer of dialog.querySelectorAll('[data-close-modal]')) {
      closer.addEventListener('click', () => dialog.close());
    }
    // A click on the backdrop (the dialog element itself, outside its body) closes it.
    dialog.addEventListener('click', (event) => {
      if (event.target === dialog) dialog.close();
    });
    if (dialog.hasAttribute('data-open-on-load')) {
      dialog.showModal();
      dialog.querySelector('input:not([type=hidden])')?.focus();
    }
  }
}

function closeAllDropdowns(except) {
  for (const dropdown of document.querySelectorAll('[data-dropdown]')) {
    if (dropdown === except) continue;
    dropdown.querySelector('.dropdown-menu')?.setAttribute('hidden', '');
    dropdown.querySelector('[data-dropdown-toggle]')?.setAttribute('aria-expanded', 'false');
  }
}

function initDropdowns() {
  for (const dropdown of document.querySelectorAll('[data-dropdown]')) {
    const toggle = dropdown.querySelector('[data-dropdown-toggle]');
    const menu = dropdown.querySelector('.dropdown-menu');
    if (!toggle || !menu) continue;
    toggle.addEventListener('click', (event) => {
      event.stopPropagation();
      const isOpen = !menu.hasAttribute('hidden');
      closeAllDropdowns(dropdown);
      if (isOpen) {
        menu.setAttribute('hidden', '');
        toggle.setAttribute('aria-expanded', 'false');
      } else {
        menu.removeAttribute('hidden');
        toggle.setAttribute('aria-expanded', 'true');
        menu.querySelector('button, a')?.focus();
      }
    });
  }
  document.addEventListener('click', (event) => {
    if (!event.target.closest?.('[data-dropdown]')) closeAllDropdowns();
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') closeAllDropdowns();
  });
}

function initConfirmations() {
  for (const form of document.querySelectorAll('form[data-confirm]')) {
    form.addEventListener('submit', (event) => {
      if (!window.confirm(form.getAttribute('data-confirm'))) event.preventDefault();
    });
  }
}

function initCopyButtons() {
  for (const button of document.querySelectorAll('[data-copy-target]')) {
    button.addEventListener('click', () => {
      const source = document.getElementById(button.getAttribute('data-copy-target'));
      if (!source) return;
      navigator.clipboard?.writeText(source.textContent.trim()).then(
        () => {
          button.textContent = 'Copied';
          setTimeout(() => (button.textContent = 'Copy'), 2000);
        },
        () => window.getSelection()?.selectAllChildren(source),
      );
    });
  }
}

function initSwitcher() {
  for (const form of document.querySelectorAll('form[data-autosubmit]')) {
    for (const select of form.querySelectorAll('select')) {
      select.addEventListener('change', () => form.requestSubmit());
    }
  }
}

function initNavToggle() {
  const toggle = document.querySelector('[data-nav-toggle]');
  if (!toggle) return;
  toggle.addEventListener('click', () => {
    const isOpen = document.body.classList.toggle('nav-open');
    toggle.setAttribute('aria-expanded', String(isOpen));
  });
}

document.documentElement.classList.add('has-js');
initToasts();
initModals();
initDropdowns();
initConfirmations();
initCopyButtons();
initSwitcher();
initNavToggle();
