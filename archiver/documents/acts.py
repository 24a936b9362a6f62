"""The words of the archive's acts: what each finding means, how a case and a repository are named.

The acts (the verification act, the disposal act) are read by people who sign them: a finding is said in
Russian by its kind (the technical detail follows in small type for the specialist), a case by its title
with its technical id beside it, a repository by where its carrier is.
"""

from __future__ import annotations

FINDINGS = {
    "missing": "копия дела, его версия или файл отсутствует",
    "inventory": "опись хранилища (OCFL) не читается, противоречива или не совпадает с контрольной суммой описи",
    "version": "версия дела отсутствует, лишняя или не совпадает с описью",
    "structure": "нарушена структура хранилища (файл-декларация отсутствует или неверен)",
    "digest": "содержимое файла не совпадает с контрольной суммой в описи",
    "extra-file": "в хранилище есть файл или каталог, не указанный в описи",
    "not-a-file": "на месте файла находится каталог или специальный файл",
    "symlink": "в хранилище обнаружена символическая ссылка",
    "unreadable": "файл не читается",
    "unknown-object": "в хранилище есть дело, неизвестное каталогу",
    "storage-root": "нарушен корневой каталог хранилища",
    "manifest": "заверенный печатью перечень контрольных сумм не совпадает с файлами",
    "seal": "электронная печать перечня контрольных сумм не подтверждается",
    "signature": "электронная подпись документа не подтверждается",
    "pdfa": "документ не идентифицируется как PDF/A",
    "sheets": "число листов не совпадает с заверительной надписью",
    "catalog": "каталог архива не совпадает с хранилищем",
    "audit": "журнал событий архива нарушен или не совпадает с заверенной контрольной точкой",
    "signer": "подпись выполнена сертификатом, не соответствующим роли (печать, директор)",
    "registry": "пользователи, роли или сертификаты не совпадают с заверенным реестром",
    "carrier": "два хранилища находятся на одном носителе",
}
STATUS = {"intact": "целое", "damaged": "повреждено", "missing": "отсутствует"}


def finding_words(code: str) -> str:
    return FINDINGS.get(code, code)


def repository_label(name: str, location: str) -> str:
    """«Хранилище primary — сервер, каб. 12», or just the name when no location is configured."""
    return f"{location} (хранилище «{name}»)" if location else f"хранилище «{name}»"
