"""The import page of a project: upload a log computed elsewhere from the browser.

The same import as the API and `import_log` (`evaluations.services.imports.run_import`). The body
streams to a temporary file on disk and is cut off past CONCORD_MAX_UPLOAD_BYTES
(`evaluations.uploads`): the handler is installed before the CSRF check reads the body, so the
view is CSRF-exempt on the outside and protected on the inside (Django's documented pattern for
upload handlers), with the project and the user's role checked before the body is read at all.

Without JavaScript the form posts and the page redirects to the new run (or shows the errors).
With it (`static/js/run-import.js`), the form is sent by XHR with a progress bar, and this view
answers in JSON: `{"url", "created", "message"}`, or the API's error shape with its status.

When no task of the project matches the log's task, a user who may register one (a lead of the
project, a programme manager) is offered a button that registers the log's task name as an
import-only task of the project (`register_task`, its own POST: nothing is created without it);
they then import the same file again. The error then carries `register_task` (the name) in JSON.
Anyone else reads who may register it.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from config.forms import add_service_errors
from config.views import error_messages, post_only
from evaluations import uploads
from evaluations.forms.imports import RunImportForm
from evaluations.ingestion import LogReadError, LogRejected, UnknownTask
from evaluations.logstore import StorageUnavailable
from evaluations.services import tasks as task_services
from evaluations.services.imports import import_message
from evaluations.services.imports import run_import as import_service
from evaluations.views._helpers import project_view

TEMPLATE = "evaluations/imports/run_import.html"


def _context(form, project, user, register_task: str = "") -> dict:
    return {
        "form": form,
        "project": project,
        "max_upload_bytes": uploads.max_upload_bytes(),
        "register_task": register_task,
        "may_register_task": task_services.may_register_for(user, project),
    }


def _wants_json(request) -> bool:
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


def _error(status: int, code: str, message: str, fields=None, register_task="") -> JsonResponse:
    body = {"status": status, "code": code, "message": message}
    if fields:
        body["fields"] = fields
    if register_task:
        body["register_task"] = register_task
    return JsonResponse({"error": body}, status=status)


@csrf_exempt
def run_import(request, slug: str):
    uploads.install(request)  # before anything (the CSRF check included) reads the body
    try:
        return _checked(request, slug)
    except uploads.UploadTooLarge as exc:
        if _wants_json(request):
            return _error(413, "too_large", str(exc.detail))
        return _page(request, slug, error=str(exc.detail), status=413)


@project_view("act")
def _page(request, project, *, error: str, status: int):
    form = RunImportForm(user=request.user, project=project)
    form.errors["file"] = form.error_class([error])  # shown at the file field
    return render(request, TEMPLATE, _context(form, project, request.user), status=status)


@project_view("act")
@csrf_protect
def _checked(request, project):
    form = RunImportForm(
        request.POST or None, request.FILES or None, user=request.user, project=project
    )
    register_task = ""  # the log's task name, when the user may register it here
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["file"]
        try:
            result = import_service(
                path=upload.temporary_file_path(),
                filename=upload.name,
                project=project,
                institute=data["institute"],
                uploaded_by=request.user,
                task=data["task"],
                system=data["system"],
                guideline_version=data["guideline_version"],
                notes=data["notes"],
                override_mismatch=data["override_mismatch"],
                override_reason=data["override_reason"],
                disposable=True,  # the upload's temporary file
            )
        except PermissionDenied as exc:
            if _wants_json(request):
                return _error(403, "permission_denied", str(exc))
            raise
        except (LogReadError, LogRejected) as exc:
            text = " ".join(exc.messages) if isinstance(exc, LogRejected) else str(exc)
            form.add_error("file", text)
        except UnknownTask as exc:
            add_service_errors(form, exc)
            if exc.task_name and task_services.may_register_for(request.user, project):
                register_task = exc.task_name
        except ValidationError as exc:
            add_service_errors(form, exc)
        except StorageUnavailable as exc:  # the bucket of logs is down: nothing was imported
            form.add_error(None, f"Nothing was imported: {exc}")
        else:
            text = import_message(result)
            url = reverse("runs:detail", kwargs={"run_id": result.run.pk})
            if _wants_json(request):
                return JsonResponse({"url": url, "created": result.created, "message": text})
            messages.success(request, text)
            return redirect(url)
        finally:
            upload.close()
    if request.method == "POST" and _wants_json(request):
        fields = {
            ("non_field_errors" if name == "__all__" else name): [str(e) for e in errors]
            for name, errors in form.errors.items()
        }
        # The page puts each field's errors at that field (run-import.js); the message is the
        # same errors in plain words, for a client that shows only one line.
        message = " ".join(error for errors in fields.values() for error in errors)
        return _error(400, "invalid", message, fields, register_task)
    return render(request, TEMPLATE, _context(form, project, request.user, register_task))


@project_view("manage")
@post_only()
def register_task(request, project):
    """Register the log's task name as an import-only task of the project (the button the
    import page offers when no task matches), then back to the import page to import the file
    again."""
    name = (request.POST.get("task_name") or "").strip()[:300]
    url = reverse("runs:import", kwargs={"slug": project.slug})
    try:
        task = task_services.task_register(
            user=request.user, name=name, inspect_ref=name, project=project
        )
    except ValidationError as exc:
        error_messages(request, exc)
        return redirect(url)
    kind = "an import-only task" if not task.runnable else "a task"
    messages.success(
        request,
        f"Registered '{task.inspect_ref}' as {kind} of this project. Choose the log file again "
        "and import it.",
    )
    return redirect(url)
