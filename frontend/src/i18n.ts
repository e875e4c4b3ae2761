// All user-visible strings live here so another language (e.g. Chinese) can be added
// by providing one more object with the same keys.

const en = {
  appTitle: "Golden Hour",
  appSubtitle: "EMS dispatch console",
  loginTitle: "Sign in",
  username: "Username",
  password: "Password",
  signIn: "Sign in",
  signingIn: "Signing in…",
  logout: "Log out",
  connected: "connected",
  reconnecting: "reconnecting",
  connectionTitleConnected: "Live updates connected",
  connectionTitleReconnecting: "Live updates interrupted, reconnecting",
  newCall: "New call",
  address: "Address",
  addressPlaceholder: "Street and number",
  locate: "Locate",
  locating: "Locating…",
  location: "Location",
  locationHint: "Click the map or locate an address",
  clearLocation: "Clear",
  complaint: "Complaint",
  complaintPlaceholder: "e.g. chest pain",
  priority: "Priority",
  priorityNames: { 1: "1 – critical", 2: "2 – urgent", 3: "3 – non-critical", 4: "4 – non-urgent" } as Record<number, string>,
  createCall: "Create call",
  creating: "Creating…",
  noCandidates: "No matching address",
  incidents: "Open incidents",
  noIncidents: "No open incidents",
  units: "Units",
  noUnits: "No units",
  recommendations: "Recommended units",
  selectIncident: "Select or create an incident to see recommended units",
  noRecommendations: "No available unit can reach this location",
  refresh: "Refresh",
  assign: "Assign",
  assigning: "…",
  close: "Close",
  dismiss: "Dismiss",
  colRank: "#",
  colUnit: "Unit",
  colCap: "Cap.",
  colEta: "ETA",
  colDist: "Dist.",
  colStatus: "Status",
  colTime: "Time",
  colIncident: "Incident",
  colPriority: "P",
  colNumber: "Number",
  colAddress: "Address",
  assignedUnits: "Assigned",
  received: "Received",
  km: "km",
  unknownAddress: "(no address)",
  mapLoadFailed: "Map data could not be loaded",
  networkError: "Server unreachable",
  sessionExpired: "Session expired, please sign in again",
  crewNotAllowed: "This console is for dispatchers and supervisors",
  callCreated: "Call {number} created",
  unitAssigned: "{unit} assigned to {number}",
  needLocation: "Set a location (map click or Locate) or type an address",
  wsError: "Live update error: {detail}",
  resyncing: "Live updates out of sync, reloading",
  statuses: {
    available: "Available",
    dispatched: "Dispatched",
    en_route: "En route",
    on_scene: "On scene",
    transporting: "Transporting",
    at_hospital: "At hospital",
    out_of_service: "Out of service",
    pending: "Pending",
    closed: "Closed",
  } as Record<string, string>,
  hospital: "Hospital",
  station: "Station",
};

export type Strings = typeof en;

const languages: Record<string, Strings> = { en };

function pickLanguage(): Strings {
  const wanted = localStorage.getItem("gh.lang") ?? navigator.language.slice(0, 2);
  return languages[wanted] ?? en;
}

export const S: Strings = pickLanguage();

type TextKey = { [K in keyof Strings]: Strings[K] extends string ? K : never }[keyof Strings];

/** Look up a string and fill `{name}` placeholders. */
export function t(key: TextKey, params: Record<string, string | number> = {}): string {
  return S[key].replace(/\{(\w+)\}/g, (_m, name: string) => String(params[name] ?? `{${name}}`));
}

export function statusLabel(status: string): string {
  return S.statuses[status] ?? status;
}
