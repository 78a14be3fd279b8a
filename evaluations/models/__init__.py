from evaluations.models.developers import (
    DeveloperContact,
    FindingComment,
    FindingResponse,
    Organisation,
)
from evaluations.models.external import ExternalRun
from evaluations.models.guidelines import Guideline, GuidelineApproval, GuidelineVersion
from evaluations.models.jobs import Deviation, EvaluationJob, EvaluationTask
from evaluations.models.pools import WorkerPool
from evaluations.models.projects import (
    AccessWindow,
    AISystem,
    Domain,
    EvaluationProject,
    Finding,
    FindingEvidence,
    Participation,
    ProjectGuideline,
    ProjectSystem,
    Workstream,
)
from evaluations.models.queues import ReviewAssignment, ReviewQueue, ReviewQueueItem
from evaluations.models.reports import Report, ReportApproval
from evaluations.models.results import (
    EvaluationRun,
    PinnedRun,
    ReviewLabel,
    RunScore,
    RunScorer,
    SampleResult,
    SampleReview,
)

__all__ = [
    "AISystem",
    "AccessWindow",
    "DeveloperContact",
    "Deviation",
    "Domain",
    "EvaluationJob",
    "EvaluationProject",
    "EvaluationRun",
    "EvaluationTask",
    "ExternalRun",
    "Finding",
    "FindingComment",
    "FindingEvidence",
    "FindingResponse",
    "Guideline",
    "GuidelineApproval",
    "GuidelineVersion",
    "Organisation",
    "Participation",
    "PinnedRun",
    "ProjectGuideline",
    "ProjectSystem",
    "Report",
    "ReportApproval",
    "ReviewAssignment",
    "ReviewLabel",
    "ReviewQueue",
    "ReviewQueueItem",
    "RunScore",
    "RunScorer",
    "SampleResult",
    "SampleReview",
    "WorkerPool",
    "Workstream",
]
