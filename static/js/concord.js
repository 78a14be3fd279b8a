// Concord's own small behaviours. No inline scripts anywhere: pages work under a strict CSP.
document.addEventListener("DOMContentLoaded", () => {
  // Confirm dangerous actions declared with data-confirm="...".
  document.body.addEventListener("submit", (event) => {
    const form = event.target;
    const message = form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
});
