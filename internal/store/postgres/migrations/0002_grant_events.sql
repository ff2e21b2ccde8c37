-- Grant events: every change to who may use an app (a collaborator added,
-- changed or removed; an app's visibility changed or the app deleted; an org
-- member, team, team member or team app changed) notifies the channel
-- clavis_invalidate with {"src":"db","kind":"grant","ids":[owner, app]}, or
-- ids [org] for a change that may touch every app of an org. PostgreSQL
-- delivers notifications when the transaction commits, and only if it does,
-- and folds identical ones within a transaction. Replicas that cache grants
-- drop the affected entries; `clavis migrate` turns the events off for its
-- bulk copy (setting clavis.bulk) and sends one "all" event instead.
CREATE FUNCTION clavis_grant_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
    ids text[];
BEGIN
    IF current_setting('clavis.bulk', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
    IF TG_TABLE_NAME = 'apps' THEN
        IF TG_OP = 'UPDATE' AND OLD.visibility = NEW.visibility THEN
            RETURN NULL;
        END IF;
        ids := ARRAY[r.owner_id, r.id];
    ELSIF TG_TABLE_NAME = 'collaborators' THEN
        ids := ARRAY[r.app_owner_id, r.app_id];
    ELSIF TG_TABLE_NAME = 'team_apps' THEN
        ids := ARRAY[r.org_id, r.app_id];
    ELSE -- org_members, teams, team_members
        ids := ARRAY[r.org_id];
    END IF;
    PERFORM pg_notify('clavis_invalidate',
        json_build_object('src', 'db', 'kind', 'grant', 'ids', ids)::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER apps_grant_event AFTER UPDATE OR DELETE ON apps
    FOR EACH ROW EXECUTE FUNCTION clavis_grant_event();
CREATE TRIGGER collaborators_grant_event AFTER INSERT OR UPDATE OR DELETE ON collaborators
    FOR EACH ROW EXECUTE FUNCTION clavis_grant_event();
CREATE TRIGGER org_members_grant_event AFTER INSERT OR UPDATE OR DELETE ON org_members
    FOR EACH ROW EXECUTE FUNCTION clavis_grant_event();
CREATE TRIGGER teams_grant_event AFTER INSERT OR UPDATE OR DELETE ON teams
    FOR EACH ROW EXECUTE FUNCTION clavis_grant_event();
CREATE TRIGGER team_members_grant_event AFTER INSERT OR UPDATE OR DELETE ON team_members
    FOR EACH ROW EXECUTE FUNCTION clavis_grant_event();
CREATE TRIGGER team_apps_grant_event AFTER INSERT OR UPDATE OR DELETE ON team_apps
    FOR EACH ROW EXECUTE FUNCTION clavis_grant_event();
