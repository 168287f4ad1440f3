// The README's tour as a member's TypeScript integration would write it, with types generated
// from openapi.yaml as it is (openapi-typescript -> ./generated/api.d.ts) and openapi-fetch.
// scripts/contract only type-checks it (tsc --noEmit --strict): it is never run.
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./generated/api";

type Schemas = components["schemas"];
type Problem = Schemas["Problem"];
type ValidationProblem = Schemas["ValidationProblem"];

const BASE_URL = "http://127.0.0.1:8000";

/** A 422's body: a pointer for each invalid field. */
function isValidationProblem(body: Problem | ValidationProblem | undefined): body is ValidationProblem {
  return body !== undefined && body.type === "/problems/validation-error" && body.status === 422;
}

function fail(what: string, status: number, problem: { detail?: string; error?: string } | undefined): never {
  throw new Error(`${what}: HTTP ${status} ${problem?.detail ?? problem?.error ?? ""}`);
}

/** Client credentials: HTTP Basic (client_secret_basic) at the token endpoint. */
async function clientCredentialsToken(clientId: string, clientSecret: string, scope: Schemas["Scope"][]) {
  const oauth = createClient<paths>({ baseUrl: BASE_URL });
  const request: Schemas["TokenRequest"] = { grant_type: "client_credentials", scope: scope.join(" ") };
  const { data, error, response } = await oauth.POST("/oauth/token", {
    body: request,
    bodySerializer: (body) => new URLSearchParams(Object.entries(body).map(([k, v]) => [k, String(v)])),
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      Authorization: `Basic ${btoa(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`)}`,
    },
  });
  if (error) {
    const oauthError: Schemas["OAuthError"] | Problem = error;
    fail("token", response.status, oauthError);
  }
  const token: Schemas["TokenResponse"] = data;
  return token;
}

function apiClient(accessToken: string) {
  const bearer: Middleware = {
    onRequest({ request }) {
      request.headers.set("Authorization", `Bearer ${accessToken}`);
      return request;
    },
  };
  const api = createClient<paths>({ baseUrl: BASE_URL });
  api.use(bearer);
  return api;
}

async function tour(owner: { id: string; secret: string }, investor: { id: string; secret: string }, institutionId: string) {
  const ownerApi = apiClient((await clientCredentialsToken(owner.id, owner.secret, ["technologies:write", "technologies:read", "matches:write", "matches:read", "referrals:write", "referrals:read", "members:write"])).access_token);
  const investorApi = apiClient((await clientCredentialsToken(investor.id, investor.secret, ["investors:write", "investors:read", "matches:write", "matches:read"])).access_token);

  // Who am I?
  const me = await ownerApi.GET("/v1/me");
  if (me.error) fail("me", me.response.status, me.error);
  const ownMember: Schemas["MemberOwn"] = me.data.member;

  // A listing: create (safe to retry with an Idempotency-Key), then submit it for review.
  const listing: Schemas["TechnologyCreate"] = {
    title: { en: "Solid-state electrolyte for lithium-metal cells", zh: "锂金属电池固态电解质" },
    summary: { en: "A sulfide electrolyte stable against lithium metal." },
    field: "new_energy",
    trl: 6,
    deal_types: ["exclusive_license", "assignment"],
    origin_country: "CN",
    asking_price: { amount: "2500000.00", currency: "CNY" },
  };
  const created = await ownerApi.POST("/v1/technologies", {
    body: listing,
    params: { header: { "Idempotency-Key": "listing-2026-001" } },
  });
  if (created.error) {
    // 422: each invalid field, by JSON Pointer into the body.
    if (isValidationProblem(created.error)) {
      for (const e of created.error.errors) console.error(`${e.pointer}: ${e.detail}`);
    }
    fail("create listing", created.response.status, created.error);
  }
  const technology: Schemas["Technology"] = created.data;
  const etag = created.response.headers.get("ETag") ?? "*";

  // If-Match: change it with the ETag of the last read (412 when someone changed it since).
  const patched = await ownerApi.PATCH("/v1/technologies/{technology_id}", {
    params: { path: { technology_id: technology.id }, header: { "If-Match": etag } },
    body: { keywords: ["solid-state", "electrolyte"] },
  });
  if (patched.error) {
    if (patched.response.status === 412) console.warn("changed meanwhile: read it again and reapply");
    fail("patch listing", patched.response.status, patched.error);
  }
  const submitted = await ownerApi.POST("/v1/technologies/{technology_id}/submit", {
    params: { path: { technology_id: technology.id } },
  });
  if (submitted.error) fail("submit", submitted.response.status, submitted.error);
  const status: Schemas["TechnologyStatus"] = submitted.data.status;
  console.log(`listing ${technology.id} is ${status}`);

  // Search, one cursor page after another (next_cursor is null on the last page).
  let cursor: string | undefined;
  do {
    const page = await investorApi.GET("/v1/technologies", {
      params: { query: { q: "solid-state electrolyte", field: "new_energy", limit: 20, cursor } },
    });
    if (page.error) fail("search", page.response.status, page.error);
    for (const found of page.data.data) console.log(found.id, found.title.en ?? Object.values(found.title)[0]);
    cursor = page.data.next_cursor ?? undefined;
  } while (cursor);

  // The investor's mandate.
  const mandate: Schemas["InvestorProfileCreate"] = {
    name: "Energy storage, Series A",
    fields: ["new_energy"],
    trl_min: 5,
    trl_max: 8,
    ticket_min: { amount: "100000.00", currency: "EUR" },
    ticket_max: { amount: "500000.00", currency: "EUR" },
    deal_types: ["exclusive_license", "equity_investment"],
    keywords: ["battery", "electrolyte"],
  };
  const profile = await investorApi.POST("/v1/investor-profiles", { body: mandate });
  if (profile.error) fail("investor profile", profile.response.status, profile.error);
  const profileId = profile.data.id;

  // Explained suggestions: a score and one factor per criterion.
  const suggested = await investorApi.GET("/v1/investor-profiles/{investor_profile_id}/suggested-technologies", {
    params: { path: { investor_profile_id: profileId }, query: { limit: 10 } },
  });
  if (suggested.error) fail("suggestions", suggested.response.status, suggested.error);
  for (const s of suggested.data.data) {
    const suggestion: Schemas["TechnologySuggestion"] = s;
    const reasons = suggestion.factors.map((f: Schemas["SuggestionFactor"]) => `${f.factor} ${f.score ?? "n/a"}: ${f.reason}`);
    console.log(suggestion.technology.id, suggestion.score, reasons.join("; "));
  }
  const forListing = await ownerApi.GET("/v1/technologies/{technology_id}/suggested-investors", {
    params: { path: { technology_id: technology.id } },
  });
  if (forListing.error) fail("suggested investors", forListing.response.status, forListing.error);
  const firstInvestor: Schemas["InvestorProfile"] | undefined = forListing.data.data[0]?.investor_profile;
  console.log(firstInvestor?.name);

  // A match: the investor proposes, the owner accepts, the deal closes.
  const proposed = await investorApi.POST("/v1/matches", {
    body: { technology_id: technology.id, investor_profile_id: profileId, message: "Interested in an exclusive licence." },
  });
  if (proposed.error) fail("propose", proposed.response.status, proposed.error);
  const match: Schemas["Match"] = proposed.data;
  const accepted = await ownerApi.POST("/v1/matches/{match_id}/accept", { params: { path: { match_id: match.id } } });
  if (accepted.error) fail("accept", accepted.response.status, accepted.error);
  const close: Schemas["MatchClose"] = {
    outcome: "deal_closed",
    deal_type: "exclusive_license",
    amount: { amount: "2300000.00", currency: "CNY" },
    signed_on: "2026-11-20",
    recordal: { office: "CN", reference: "2026-LIC-000123", recorded_on: "2026-11-27" },
  };
  const closed = await ownerApi.POST("/v1/matches/{match_id}/close", {
    params: { path: { match_id: match.id } },
    body: close,
  });
  if (closed.error) fail("close", closed.response.status, closed.error);
  const outcome = closed.data.outcome;
  if (outcome !== null && outcome.outcome === "deal_closed") console.log(outcome.amount.amount, outcome.amount.currency);

  // A dispute referral to an ADR institution, and an event on its timeline.
  const referral: Schemas["ReferralCreate"] = {
    procedure: "mediation",
    basis: "agreement",
    dispute_type: "licence",
    ip_kinds: ["invention_patent"],
    institution_id: institutionId,
    respondent: { name: "Example Battery GmbH", country: "DE" },
    technology_id: technology.id,
    language: "en",
    summary: "Royalties under the exclusive licence have not been paid since Q3.",
  };
  const referred = await ownerApi.POST("/v1/referrals", { body: referral });
  if (referred.error) fail("referral", referred.response.status, referred.error);
  const note: Schemas["ReferralEventCreate"] = { type: "note", text: "Payment records attached to the file." };
  const added = await ownerApi.POST("/v1/referrals/{referral_id}/events", {
    params: { path: { referral_id: referred.data.id } },
    body: note,
  });
  if (added.error) fail("referral event", added.response.status, added.error);
  const event: Schemas["ReferralEvent"] = added.data;
  if (event.type === "note") console.log(event.sequence, event.text, event.hash);

  // Timeline, a cursor page: events are oldest first.
  const timeline = await ownerApi.GET("/v1/referrals/{referral_id}/events", {
    params: { path: { referral_id: referred.data.id }, query: { limit: 50 } },
  });
  if (timeline.error) fail("timeline", timeline.response.status, timeline.error);
  for (const entry of timeline.data.data) {
    if (entry.type === "submitted") console.log(entry.reference, entry.procedure);
  }

  // A 422 on purpose: an unknown field is refused, with a pointer to it.
  const invalid = await ownerApi.PATCH("/v1/members/{member_id}", {
    params: { path: { member_id: ownMember.id }, header: { "If-Match": me.response.headers.get("ETag") ?? "*" } },
    body: { website: "not a url" },
  });
  if (invalid.response.status === 422 && isValidationProblem(invalid.error)) {
    const pointers: string[] = invalid.error.errors.map((e) => e.pointer);
    console.log("refused:", pointers.join(", "));
  }
}

void tour({ id: "owner-client", secret: "owner-secret" }, { id: "investor-client", secret: "investor-secret" }, "institution-id");

// What the types must refuse (tsc fails if any of these lines compiles without an error).
export const refused = {
  // @ts-expect-error A new listing needs its title (and summary, field, trl, deal_types, origin_country).
  listing: { summary: { en: "x" }, field: "new_energy", trl: 6, deal_types: ["assignment"], origin_country: "CN" } satisfies Schemas["TechnologyCreate"],
  // @ts-expect-error Read-only fields are not part of a create body.
  withId: { id: "x", title: { en: "x" }, summary: { en: "x" }, field: "new_energy", trl: 6, deal_types: ["assignment"], origin_country: "CN" } satisfies Schemas["TechnologyCreate"],
  // @ts-expect-error A page's items are typed: a Technology has no `foo`.
  item: (page: Schemas["TechnologyPage"]) => page.data[0]?.foo,
  // @ts-expect-error A referral event's type decides its fields: a note has no `neutral`.
  note: { type: "note", text: "x", neutral: { name: "A", role: "mediator" } } satisfies Schemas["ReferralEventCreate"],
  // @ts-expect-error next_cursor may be null.
  cursor: (page: Schemas["MemberPage"]): string => page.next_cursor,
};
