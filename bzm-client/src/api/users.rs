//! `GET /api/v4/user` (row 1).

use crate::client::{Client, Request};
use crate::error::{Result, Scope};
use crate::models::User;

pub struct UsersHandler<'c> {
    client: &'c Client,
}

impl<'c> UsersHandler<'c> {
    pub(crate) fn new(client: &'c Client) -> Self {
        UsersHandler { client }
    }

    /// The key's user, with its default project/account/workspace. Accepts the enveloped and
    /// the bare form of the answer.
    pub async fn me(&self) -> Result<User> {
        self.client
            .fetch(Request::get("/api/v4/user", Scope::Key))
            .await
    }
}
