//! HTTP routes: every endpoint of Odoo's external API and the control API.
