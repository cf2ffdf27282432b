"""The Admin API's permissions, named as the Duo Admin Panel names them.

An Admin API application's page in the Admin Panel has one checkbox per permission
(https://duo.com/docs/adminapi#first-steps); duo_client 5.7.0 admin.py `create_integration`
sets the same ones as ``adminapi_info``, ``adminapi_integrations``, ``adminapi_settings``,
``adminapi_read_log``, ``adminapi_read_resource``, ``adminapi_write_resource`` and
``adminapi_admins``.
"""

from __future__ import annotations

READ_INFORMATION = "Grant read information"
APPLICATIONS = "Grant applications"
SETTINGS = "Grant settings"
READ_LOG = "Grant read log"
READ_RESOURCE = "Grant read resource"
WRITE_RESOURCE = "Grant write resource"
ADMINISTRATORS = "Grant administrators"

ALL = (
    READ_INFORMATION,
    APPLICATIONS,
    SETTINGS,
    READ_LOG,
    READ_RESOURCE,
    WRITE_RESOURCE,
    ADMINISTRATORS,
)

# What each duoctl command needs: `admin status` names the commands a missing one disables.
COMMANDS_NEEDING = {
    APPLICATIONS: ("provider create", "provider remove --delete-app"),
    READ_RESOURCE: ("user show",),
    READ_LOG: ("logs", "test-login --explain"),
}
