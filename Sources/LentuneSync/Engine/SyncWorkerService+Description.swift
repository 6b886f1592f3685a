/// What swift-service-lifecycle logs for each service (at debug, "Starting service"): a name, never the fields. The
/// default description reflects every stored property, and the worker's database handle carries its configuration,
/// the PostgreSQL password included (issue 30).
extension SyncWorkerService: CustomStringConvertible {
    public var description: String { "SyncWorkerService" }
}

extension PeriodicService: CustomStringConvertible {
    public var description: String { "PeriodicService(\(name))" }
}
