"""Export for the CRM: list files and the ``crm_customer_scores`` SQL table."""

from repurchase.export.crm import SCHEMA_VERSION, check_driver, export_lists, write_crm_table, write_list_files

__all__ = ["SCHEMA_VERSION", "check_driver", "export_lists", "write_crm_table", "write_list_files"]
