// Copy buttons: <button data-copy="ID"> copies the value (an input) or the text (any other
// element) of the element with that id, then says so on the button for a moment.
// No inline scripts: pages work under a strict CSP.
document.addEventListener("DOMContentLoaded", () => {
  document.body.addEventListener("click", async (event) => {
    const button = event.target.closest && event.target.closest("button[data-copy]");
    if (!button) {
      return;
    }
    const source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) {
      return;
    }
    const text = "value" in source ? source.value : source.textContent;
    const label = button.dataset.label || button.textContent;
    button.dataset.label = label;
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = "Copied";
    } catch (error) {
      // No clipboard (an insecure origin, or refused): select the text for Ctrl+C instead.
      if ("select" in source) {
        source.select();
      } else {
        const range = document.createRange();
        range.selectNodeContents(source);
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
      }
      button.textContent = "Press Ctrl+C";
    }
    window.setTimeout(() => {
      button.textContent = button.dataset.label;
    }, 2000);
  });
});
