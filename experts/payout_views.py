from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from experts import payout_accounts
from experts.models import ExpertPayoutAccount, ExpertProfile
from foodxchange.api.permissions import IsExpert
from foodxchange.errors import NotFound


class PayoutAccountSerializer(serializers.ModelSerializer):
    is_connected = serializers.BooleanField(read_only=True)

    class Meta:
        model = ExpertPayoutAccount
        fields = ["stripe_account_id", "is_active", "is_connected", "created_at", "updated_at"]
        read_only_fields = ["is_active", "created_at", "updated_at"]


class PayoutAccountInputSerializer(serializers.Serializer):
    stripe_account_id = serializers.CharField(max_length=255)


def _own_profile(request) -> ExpertProfile:
    profile = ExpertProfile.objects.filter(user=request.user).first()
    if profile is None:
        raise NotFound("Create your expert profile first.")
    return profile


class PayoutAccountView(APIView):
    permission_classes = [IsExpert]

    @extend_schema(tags=["experts"], summary="Your payout account", responses={200: PayoutAccountSerializer})
    def get(self, request):
        account = ExpertPayoutAccount.objects.filter(expert=_own_profile(request)).first()
        if account is None:
            raise NotFound("No payout account yet.")
        return Response(PayoutAccountSerializer(account).data)

    @extend_schema(
        tags=["experts"],
        summary="Set your payout account (a connected Stripe account)",
        request=PayoutAccountInputSerializer,
        responses={200: PayoutAccountSerializer},
    )
    def post(self, request):
        data = PayoutAccountInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        account = payout_accounts.set_payout_account(
            expert=_own_profile(request),
            stripe_account_id=data.validated_data["stripe_account_id"],
            actor=request.user,
            request=request,
        )
        return Response(PayoutAccountSerializer(account).data)
