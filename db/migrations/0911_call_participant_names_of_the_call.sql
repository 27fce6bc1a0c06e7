-- app.call_participant_names (0910) named ANY user id it was given, as long as the caller
-- had a role in the appointment's call: a participant could turn any user id into a name.
-- It now names only users who joined (or were added to) a call of that appointment.
set local role service_role;
create or replace function app.call_participant_names(appt uuid, ids uuid[]) returns table (user_id uuid, full_name text)
  language sql stable security definer set search_path = ''
as $$
  select u.id, u.full_name from auth.users u
   where u.id = any (ids)
     and app.call_role(auth.uid(), appt) is not null
     and exists (select 1 from public.telehealth_calls c
                  where c.appointment_id = appt and u.id = any (c.joined || c.members))
$$;
reset role;
