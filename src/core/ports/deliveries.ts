/** Contract: `record` is create-if-absent: it returns false when the delivery id was seen before. */
export interface Deliveries {
  seen(deliveryId: string): Promise<boolean>;
  record(input: { deliveryId: string; projectId: string; deploymentId: string; at: string }): Promise<boolean>;
}
