-- Documents and their objects: who may review and delete, and how.
--
-- Reading and uploading are decided by the policies of 0005, which call the same
-- predicate functions for public.documents and storage.objects (readable / chartable
-- patient ids; an object's first path segment is its patient id). This migration adds:
--   * a guard so that application roles record reviews only as themselves and never set
--     the deletion columns directly;
--   * app.soft_delete_document(): deletion is a soft delete by an attending member of the
--     care team, with a reason. It is a function because the SELECT policy hides deleted
--     rows and PostgreSQL checks an UPDATE's new row against it. The blob and the
--     storage.objects row stay until the retention job (docs/storage.md) purges them.

create function app.documents_guard() returns trigger
  language plpgsql
  set search_path = ''
as $$
begin
  -- Application roles only; the owner (migrations, app.soft_delete_document) passes.
  if current_user in ('authenticated', 'app_admin', 'anon') then
    if new.deleted_at is distinct from old.deleted_at
       or new.deleted_by is distinct from old.deleted_by
       or new.delete_reason is distinct from old.delete_reason then
      raise exception 'documents are deleted through app.soft_delete_document()' using errcode = '42501';
    end if;
    if new.reviewed_by is distinct from old.reviewed_by and new.reviewed_by is distinct from auth.uid() then
      raise exception 'a review is recorded as the reviewer' using errcode = '42501';
    end if;
    if new.object_key is distinct from old.object_key or new.patient_id is distinct from old.patient_id then
      raise exception 'a document''s object and patient never change' using errcode = '42501';
    end if;
  end if;
  return new;
end $$;

create trigger documents_guard before update on public.documents
  for each row execute function app.documents_guard();

-- Be extremely careful when modifying this function: it runs as the owner, so every
-- check RLS would make is written out here, with the same predicate functions.
-- Returns false when the caller cannot see the document (the API answers 404);
-- raises 42501 when they can see it but are not an attending member (403).
create function app.soft_delete_document(document uuid, reason text) returns boolean
  language plpgsql volatile security definer
  set search_path = ''
as $$
declare
  pid uuid;
begin
  select d.patient_id into pid
    from public.documents d
   where d.id = document
     and d.deleted_at is null
     and d.patient_id = any (app.readable_patient_ids(auth.uid()));
  if pid is null then
    return false;
  end if;
  if not (pid = any (app.care_team_patient_ids(auth.uid(), array['attending']))) then
    raise exception 'only an attending member of the care team deletes documents' using errcode = '42501';
  end if;
  if reason is null or length(btrim(reason)) not between 1 and 1000 then
    raise exception 'a reason between 1 and 1000 characters is required' using errcode = '23514';
  end if;
  update public.documents
     set deleted_at = now(), deleted_by = auth.uid(), delete_reason = btrim(reason)
   where id = document;
  return true;
end $$;

revoke all on function app.soft_delete_document(uuid, text) from public;
grant execute on function app.soft_delete_document(uuid, text) to authenticated;

comment on function app.soft_delete_document(uuid, text) is
  'Soft-deletes a live document the caller can read, if they are an attending member of its care team. The write is audited by the table''s triggers.';
