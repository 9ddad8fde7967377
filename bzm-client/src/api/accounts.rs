//! `GET /api/v4/accounts` (row 2).

use crate::client::{Client, Request};
use crate::error::{Result, Scope};
use crate::models::Account;

pub struct AccountsHandler<'c> {
    client: &'c Client,
}

impl<'c> AccountsHandler<'c> {
    pub(crate) fn new(client: &'c Client) -> Self {
        AccountsHandler { client }
    }

    /// Every account the key can see (all pages).
    pub async fn list(&self) -> Result<Vec<Account>> {
        self.client
            .fetch_all(Request::get("/api/v4/accounts", Scope::Key))
            .await
    }
}
