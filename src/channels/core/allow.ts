/**
 * Who may use a channel's bot: the user ids of the `*_ALLOWED_USERS` setting, or everyone when it
 * says `*` (only ever explicitly: an empty list keeps the channel off, see startChannels).
 */
export class AllowList {
  readonly everyone: boolean;
  private readonly ids: ReadonlySet<string>;

  constructor(setting: string) {
    const value = setting.trim();
    this.everyone = value === "*";
    this.ids = new Set(
      this.everyone
        ? []
        : value
            .split(",")
            .map((id) => id.trim())
            .filter(Boolean),
    );
  }

  get empty(): boolean {
    return !this.everyone && this.ids.size === 0;
  }

  allows(userId: string): boolean {
    return this.everyone || this.ids.has(userId);
  }

  describe(): string {
    return this.everyone ? "everyone" : `${this.ids.size} user${this.ids.size === 1 ? "" : "s"}`;
  }
}
