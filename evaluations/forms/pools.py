"""Forms of the worker-pool pages: a new pool, and a project's choice of pool for an institute."""

from __future__ import annotations

from django import forms

from evaluations.models import WorkerPool
from evaluations.selectors.pools import pool_choices


class WorkerPoolForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="A short name the institute's staff recognise, e.g. gpu-cluster."
    )
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="Where it runs."
    )
    is_default = forms.BooleanField(
        required=False,
        label="Default pool",
        help_text="Runs the institute's jobs in every project that chose no pool.",
    )


class ParticipationPoolForm(forms.Form):
    """`pool` empty: the institute's default pool if it has one, else Concord's workers."""

    pool: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=WorkerPool.objects.none(), required=False
    )

    def __init__(self, *args, institute, default_pool=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fallback = (
            f"The institute's default pool ({default_pool.name})"
            if default_pool is not None
            else "Concord's workers"
        )
        field = self.fields["pool"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = pool_choices(institute)
        field.empty_label = self.fallback
        field.label = f"Where {institute.name}'s jobs run"
