export {
  checkReportWhere,
  guardedReport,
  guardedRows,
  type RowsAnswer,
  readRows,
} from "./guarded.js"
export {
  ForbiddenStatement,
  makeSqlGuard,
  SqlGuard,
  type SqlGuardShape,
  sqlGuardLayer,
} from "./sql-guard.js"
