"""Where timestamps come from: an RFC 3161 service over HTTP, or a local time-stamping key.

The local time-stamper signs the RFC 3161 token itself with a TSA key and certificate (the test PKI's TSA,
made by `archiver init`), so the demo archive and the tests get real, verifiable timestamps without a
network. pyHanko's own `DummyTimeStamper` does the same for RSA keys only; this one signs with any key a
pyHanko signer holds (the test PKI's keys are EC P-256), as CAdES, with the signing-certificate-v2
attribute RFC 5816 asks for.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from asn1crypto import cms, tsp, x509

from signing.errors import SigningError, first_line
from signing.keys import KeySigner

# The policy under which the local time-stamper issues tokens: the test PKI's own, under the arc pyHanko's
# test time-stamper uses; a real TSA names its own.
LOCAL_POLICY = "1.3.6.1.4.1.4146.2.2"


@dataclass(frozen=True)
class TimestampSource:
    """An RFC 3161 service (`url`) or a local time-stamping key (`local`); exactly one of them."""

    url: str | None = None
    local: KeySigner | None = None

    def __post_init__(self) -> None:
        if (self.url is None) == (self.local is None):
            raise SigningError("a timestamp source is either a TSA's URL or a local time-stamping key")

    def timestamper(self) -> Any:
        """A pyHanko `TimeStamper` for this source."""
        if self.url is not None:
            from pyhanko.sign.timestamps import HTTPTimeStamper

            return HTTPTimeStamper(self.url, timeout=20)
        assert self.local is not None
        return _local_timestamper(self.local)


def _local_timestamper(key: KeySigner) -> Any:
    from pyhanko.sign.timestamps.api import TimeStamper

    class LocalTimeStamper(TimeStamper):
        """Answers time-stamp requests in-process, signing each token with the TSA's key."""

        async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
            nonce = req["nonce"].native
            info = tsp.TSTInfo(
                {
                    "version": "v1",
                    "policy": LOCAL_POLICY,
                    "message_imprint": req["message_imprint"],
                    "serial_number": secrets.randbits(63),
                    "gen_time": datetime.now(UTC).replace(microsecond=0),
                    "accuracy": {"seconds": 1},
                    "tsa": x509.GeneralName(name="directory_name", value=key.certificate.subject),
                    **({"nonce": nonce} if nonce is not None else {}),
                }
            )
            content = cms.EncapsulatedContentInfo(
                {"content_type": "tst_info", "content": tsp.TSTInfo.load(info.dump())}
            )
            try:
                token = await key.signer.async_sign_general_data(content, "sha256", detached=False, use_cades=True)
            except Exception as exc:
                raise SigningError(f"the local time-stamper cannot sign: {first_line(exc)}") from None
            status = tsp.PKIStatusInfo({"status": "granted"})
            return tsp.TimeStampResp({"status": status, "time_stamp_token": token})

    return LocalTimeStamper()  # type: ignore[no-untyped-call]
