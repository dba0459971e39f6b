export const DASHBOARD_OPTIONS = Symbol('DASHBOARD_OPTIONS');

export interface DashboardOptions {
  /** Where index.html, app.js, app.css and vendor/ (uPlot) are (the build copies them next to main.js). */
  assetsDir: string;
  /** Points kept for the charts (one per evaluation). */
  seriesPoints: number;
}
