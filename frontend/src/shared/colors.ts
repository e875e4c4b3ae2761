// Status colours shared by the map markers, routes and the unit board.
export const STATUS_COLORS: Record<string, string> = {
  available: "#2f9e44",
  dispatched: "#e8a400",
  en_route: "#f76707",
  on_scene: "#e03161",
  transporting: "#8256e8",
  at_hospital: "#3b7ddd",
  returning: "#40c057", // cleared and driving back to quarters: may take a new call, a lighter "available" green
  out_of_service: "#6c757d",
  decontamination: "#0ca678", // cleaning after an infectious transport: not dispatchable (teal, not green)
};
