"""What each scope lets an app do, in plain words for the consent page."""

SCOPE_DESCRIPTIONS = {
    "members:read": "See the member directory and your institution's profile",
    "members:write": "Change your institution's public profile (description, website, contact)",
    "technologies:read": "See published technology listings and your institution's own listings",
    "technologies:write": "Create, edit, submit and withdraw your institution's technology listings",
    "investors:read": "See investor profiles and your institution's own profiles",
    "investors:write": "Create and change your institution's investor profiles",
    "matches:read": "See introductions and deals your institution takes part in",
    "matches:write": "Ask for, accept, decline and close introductions for your institution",
    "referrals:read": "See dispute referrals your institution is a party to",
    "referrals:write": "Refer disputes to ADR institutions and add events to your referrals",
    "events:read": "Read the stream of events your institution may see (listings, introductions, referrals)",
    "webhooks:read": "See your institution's webhook endpoints and their deliveries",
    "webhooks:write": "Add, change and remove your institution's webhook endpoints",
}
