import django_filters
from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from commissions import selectors, services
from commissions.models import Commission, CommissionTier, PayoutRun
from commissions.serializers import (
    CommissionAnalyticsQuerySerializer,
    CommissionAnalyticsSerializer,
    CommissionApproveRequestSerializer,
    CommissionApproveResponseSerializer,
    CommissionCalculateRequestSerializer,
    CommissionCalculateResponseSerializer,
    CommissionDashboardSerializer,
    CommissionLeaderboardQuerySerializer,
    CommissionLeaderboardSerializer,
    CommissionPayoutReportSerializer,
    CommissionPayoutRequestSerializer,
    CommissionSerializer,
    CommissionTierSerializer,
    PayoutJobSerializer,
)
from foodxchange.api import filters as api_filters
from foodxchange.api.fields import MAX_OBJECT_ID
from foodxchange.api.permissions import IsAgent, IsFinanceStaff, is_admin, role_permission
from foodxchange.api.schema import error_responses

TAGS = ["commissions"]
# Staff read and act on the ledger with the finance area (approvals, payouts, refunds).
IsAgentOrFinanceStaff = role_permission("agent", staff_area="finance")


def _agent_for(request, agent_id: int | None, *, required_for_admin: bool):
    """The agent a request is about: an agent always themselves (naming someone else
    is a 404), an admin whoever ``agent_id`` names."""
    user = request.user
    if not is_admin(user):
        if agent_id is not None and agent_id != user.pk:
            raise NotFound("No such agent.")
        return user
    if agent_id is None:
        if required_for_admin:
            raise ValidationError({"agent_id": ["Required for staff: whose tier should be used?"]})
        return None
    agent = get_user_model().objects.filter(pk=agent_id, role="agent").first()
    if agent is None:
        raise ValidationError({"agent_id": [f"No agent with id {agent_id}."]})
    return agent


class LedgerFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Commission.Status.choices)
    kind = django_filters.ChoiceFilter(choices=Commission.Kind.choices)
    currency = django_filters.CharFilter(lookup_expr="iexact")
    agent = django_filters.NumberFilter(
        field_name="agent_id", min_value=1, max_value=MAX_OBJECT_ID, help_text="Staff: one agent's rows"
    )
    created_after = api_filters.DateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = api_filters.DateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Commission
        fields = ["status", "kind", "currency", "agent", "created_after", "created_before"]


class DashboardView(APIView):
    permission_classes = [IsAgent]

    @extend_schema(
        tags=TAGS,
        summary="Your tier, rate, progress to the next tier and totals by state",
        responses={200: CommissionDashboardSerializer, **error_responses(401, 403)},
    )
    def get(self, request):
        return Response(CommissionDashboardSerializer(selectors.dashboard(agent=request.user)).data)


class HistoryView(ListAPIView):
    """Ledger rows, newest first: an agent's own, or everyone's for staff."""

    permission_classes = [IsAgentOrFinanceStaff]
    serializer_class = CommissionSerializer
    filterset_class = LedgerFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Commission.objects.none()
        return selectors.ledger_for(self.request.user)

    @extend_schema(
        tags=TAGS,
        summary="Commission ledger",
        responses={200: CommissionSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class PendingView(HistoryView):
    def get_queryset(self):
        return super().get_queryset().filter(status=Commission.Status.PENDING)

    @extend_schema(
        tags=TAGS,
        summary="Commissions awaiting approval",
        responses={200: CommissionSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class CalculateView(APIView):
    permission_classes = [IsAgentOrFinanceStaff]

    @extend_schema(
        tags=TAGS,
        summary="What a deal would earn at the agent's current tier (writes nothing)",
        request=CommissionCalculateRequestSerializer,
        responses={200: CommissionCalculateResponseSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request):
        serializer = CommissionCalculateRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        agent = _agent_for(request, data.get("agent_id"), required_for_admin=True)
        result = selectors.calculate(agent=agent, deal_value=data["deal_value"], currency=data["currency"])
        return Response(CommissionCalculateResponseSerializer(result).data)


class LeaderboardView(APIView):
    permission_classes = [IsAgentOrFinanceStaff]

    @extend_schema(
        tags=TAGS,
        summary="Agents ranked by net earnings this month, quarter or year",
        description="Equal earnings share a rank and the next rank is skipped (1, 1, 3). "
        "Amounts are in the base currency.",
        parameters=[CommissionLeaderboardQuerySerializer],
        responses={200: CommissionLeaderboardSerializer, **error_responses(400, 401, 403)},
    )
    def get(self, request):
        query = CommissionLeaderboardQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        board = selectors.leaderboard(
            period=query.validated_data["period"], viewer=request.user, limit=query.validated_data["limit"]
        )
        return Response(CommissionLeaderboardSerializer(board).data)


class AnalyticsView(APIView):
    permission_classes = [IsAgentOrFinanceStaff]

    @extend_schema(
        tags=TAGS,
        summary="Earnings by month, lead conversion and average commission",
        description="Agents get their own figures; staff get everyone's, or one agent's with `agent_id`.",
        parameters=[CommissionAnalyticsQuerySerializer],
        responses={200: CommissionAnalyticsSerializer, **error_responses(400, 401, 403, 404)},
    )
    def get(self, request):
        query = CommissionAnalyticsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        agent = _agent_for(request, query.validated_data.get("agent_id"), required_for_admin=False)
        return Response(
            CommissionAnalyticsSerializer(selectors.analytics(agent=agent, months=query.validated_data["months"])).data
        )


class ApproveView(APIView):
    permission_classes = [IsFinanceStaff]

    @extend_schema(
        tags=TAGS,
        summary="Approve pending commissions",
        description="Approves the listed pending commissions; ids that do not exist or are not "
        "pending are reported and left untouched. Each approval is audit-logged.",
        request=CommissionApproveRequestSerializer,
        responses={200: CommissionApproveResponseSerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request):
        serializer = CommissionApproveRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.approve_commissions(ids=serializer.validated_data["ids"], actor=request.user, request=request)
        return Response(CommissionApproveResponseSerializer(result).data)


def _job_body(request, job: PayoutRun) -> dict:
    return PayoutJobSerializer(job, context={"request": request}).data


class PayoutView(APIView):
    permission_classes = [IsFinanceStaff]

    @extend_schema(
        tags=TAGS,
        summary="Pay every approved, unpaid commission (one transfer per agent and currency)",
        description="Runs as a job: answers 202 with the job and its `status_url` (while a run is queued "
        "or running, that same job). Exactly once: rows are claimed into payouts before any "
        "transfer, each transfer carries the idempotency key stored on its payout and Stripe is "
        "called outside any transaction, so a concurrent or retried run pays nothing twice. "
        "`dry_run: true` answers 200 with what a run would pay, changing nothing. Agents without "
        "a connected payout account are reported under `skipped`.",
        request=CommissionPayoutRequestSerializer,
        responses={
            200: CommissionPayoutReportSerializer,
            202: PayoutJobSerializer,
            **error_responses(400, 401, 403, 503),
        },
    )
    def post(self, request):
        serializer = CommissionPayoutRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if serializer.validated_data["dry_run"]:
            plan = selectors.plan_payouts()
            body = {
                "dry_run": True,
                "paid": plan.payable,
                "failed": [],
                "retry_later": [],
                "skipped": plan.skipped,
                "carried_forward": plan.carried_forward,
            }
            return Response(CommissionPayoutReportSerializer(body).data)
        job, _created = services.request_payout_run(actor=request.user, request=request)
        return Response(_job_body(request, job), status=status.HTTP_202_ACCEPTED)


class PayoutJobView(APIView):
    permission_classes = [IsFinanceStaff]

    @extend_schema(
        tags=TAGS,
        summary="A payout job: its status and, once finished, what it paid",
        responses={200: PayoutJobSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, job_id):
        job = selectors.payout_run(job_id)
        if job is None:
            raise NotFound("No such payout job.")
        return Response(_job_body(request, job))


class TierListView(ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = CommissionTierSerializer
    queryset = CommissionTier.objects.order_by("min_volume")

    @extend_schema(
        tags=TAGS,
        summary="The commission tier table",
        responses={200: CommissionTierSerializer(many=True), **error_responses(401)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
