// The import page (templates/evaluations/imports/run_import.html): send the log with XHR so the
// upload shows its progress, then go to the new run. Without JavaScript the form posts normally.
// No inline scripts: this file is loaded under the strict CSP.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-import-form]");
  if (!form || !window.XMLHttpRequest || !window.FormData) {
    return;
  }
  const input = form.querySelector("input[type=file]");
  const box = form.querySelector("[data-import-progress]");
  const bar = box.querySelector("progress");
  const text = form.querySelector("[data-import-progress-text]");
  const errorBox = form.querySelector("[data-import-error]");
  const button = form.querySelector("button[type=submit]");
  const maxBytes = Number(input && input.getAttribute("data-max-bytes")) || 0;
  // Shown to a lead when no task matches the log's task: registers it (its own POST).
  const register = document.querySelector("form[data-register-task]");

  const offerRegister = (name) => {
    if (!register) {
      return;
    }
    register.querySelector("[data-register-task-name]").value = name || "";
    register.querySelector("[data-register-task-label]").textContent = name || "";
    register.hidden = !name;
  };

  const size = (bytes) => {
    const units = ["bytes", "KB", "MB", "GB"];
    let value = bytes;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    return (unit === 0 ? value : value.toFixed(1)) + " " + units[unit];
  };

  const done = () => {
    box.hidden = true;
    button.disabled = false;
  };

  // Errors sit at their field, as when the page is rendered by the server (form_fields.html).
  const clearErrors = () => {
    errorBox.hidden = true;
    offerRegister("");
    form.querySelectorAll("[data-client-error]").forEach((p) => p.remove());
    form.querySelectorAll(".field.has-error").forEach((f) => f.classList.remove("has-error"));
  };

  const showFieldError = (name, message) => {
    const control = form.querySelector("[name='" + name + "']");
    const field = control && control.closest(".field");
    if (!field) {
      return false;
    }
    field.querySelectorAll(".field-error").forEach((p) => p.remove());
    const p = document.createElement("p");
    p.className = "field-error";
    p.setAttribute("role", "alert");
    p.setAttribute("data-client-error", "");
    p.textContent = message;
    field.appendChild(p);
    field.classList.add("has-error");
    return true;
  };

  const showError = (message) => {
    errorBox.textContent = message;
    errorBox.hidden = false;
    done();
  };

  const showFileError = (message) => {
    if (!showFieldError("file", message)) {
      showError(message);
      return;
    }
    done();
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearErrors();
    const file = input && input.files && input.files[0];
    if (!file) {
      showFileError("Choose a log file to import.");
      return;
    }
    if (maxBytes && file.size > maxBytes) {
      showFileError("The file is too large (" + size(file.size) + "): Concord accepts logs of at most " + size(maxBytes) + ".");
      return;
    }
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action || window.location.href);
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.responseType = "json";
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) {
        bar.max = e.total;
        bar.value = e.loaded;
        text.textContent = "Uploading: " + size(e.loaded) + " of " + size(e.total) + " (" + Math.floor((100 * e.loaded) / e.total) + "%)";
      }
    });
    xhr.upload.addEventListener("load", () => {
      bar.removeAttribute("value"); // indeterminate while the server reads the log
      text.textContent = "Uploaded. Importing: reading scores and samples…";
    });
    xhr.addEventListener("load", () => {
      const body = xhr.response || {};
      if (xhr.status >= 200 && xhr.status < 300 && body.url) {
        text.textContent = body.message || "Imported.";
        window.location.assign(body.url);
        return;
      }
      const error = body.error || {};
      if (xhr.status === 413) {
        showFileError(error.message || "The file is too large.");
        return;
      }
      offerRegister(error.register_task);
      const general = [];
      Object.entries(error.fields || {}).forEach(([name, messages]) => {
        if (name === "non_field_errors" || !showFieldError(name, messages.join(" "))) {
          general.push(messages.join(" "));
        }
      });
      if (general.length) {
        showError(general.join(" "));
      } else if (error.fields) {
        done();
      } else {
        showError(error.message || "The import failed (HTTP " + xhr.status + ").");
      }
    });
    xhr.addEventListener("error", () => showError("The upload was interrupted: check the connection and try again."));
    button.disabled = true;
    box.hidden = false;
    bar.value = 0;
    text.textContent = "Uploading…";
    xhr.send(new FormData(form));
  });
});
