//! Typed BlazeMeter API v4 client and the load splitter (see `../shared/docs/bzm-api.md`).
